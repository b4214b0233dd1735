/**
 * CloudFormation responses in the XML shape of the CloudFormation API reference's examples, for
 * the two calls that find a consumer's queues in a deployed stack.
 */

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function getTemplateResponse(template: unknown): string {
  return `<GetTemplateResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <GetTemplateResult>
    <TemplateBody>${escapeXml(typeof template === 'string' ? template : JSON.stringify(template))}</TemplateBody>
    <StagesAvailable><member>Original</member><member>Processed</member></StagesAvailable>
  </GetTemplateResult>
  <ResponseMetadata><RequestId>b9b4b068-3a41-11e5-94eb-example</RequestId></ResponseMetadata>
</GetTemplateResponse>`;
}

export function describeStackResourceResponse(logicalId: string, physicalId: string): string {
  return `<DescribeStackResourceResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStackResourceResult>
    <StackResourceDetail>
      <StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/OrdersFanOut/5b918d10-cd98-11ea-90d5-0a9cd3354c10</StackId>
      <StackName>OrdersFanOut</StackName>
      <LogicalResourceId>${logicalId}</LogicalResourceId>
      <PhysicalResourceId>${physicalId}</PhysicalResourceId>
      <ResourceType>AWS::SQS::Queue</ResourceType>
      <LastUpdatedTimestamp>2026-01-01T00:00:00Z</LastUpdatedTimestamp>
      <ResourceStatus>CREATE_COMPLETE</ResourceStatus>
    </StackResourceDetail>
  </DescribeStackResourceResult>
  <ResponseMetadata><RequestId>b9b4b068-3a41-11e5-94eb-example</RequestId></ResponseMetadata>
</DescribeStackResourceResponse>`;
}
