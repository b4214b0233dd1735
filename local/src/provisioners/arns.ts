import { LOCAL_REGION } from '../emulators';

/** The account id fauxqs puts in every ARN and queue URL. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** The ARN of a local function, as `Fn::GetAtt [fn, Arn]` gives it. */
export function functionArn(name: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${name}`;
}

/** The ARN of a local table, as `Fn::GetAtt [table, Arn]` gives it. */
export function tableArn(name: string): string {
  return `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:table/${name}`;
}

/** The pseudo parameters (`Ref: AWS::Region`…) as the local stack answers them. */
export function pseudoParameters(stackName: string): Readonly<Record<string, string>> {
  return {
    'AWS::Region': LOCAL_REGION,
    'AWS::AccountId': LOCAL_ACCOUNT_ID,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': stackName,
    'AWS::StackId': `arn:aws:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:stack/${stackName}/local`,
  };
}
