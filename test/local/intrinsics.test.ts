import { resolveValue, UnresolvableError } from '../../local/src/intrinsics';

const ref = (id: string, attribute?: string) => (attribute ? `${id}.${attribute}` : `ref:${id}`);

describe('resolveValue', () => {
  test('Ref, GetAtt (both forms), Join, Sub, Select, Split, nested in objects and arrays', () => {
    expect(resolveValue({
      a: { Ref: 'Queue' },
      b: { 'Fn::GetAtt': ['Queue', 'Arn'] },
      c: { 'Fn::GetAtt': 'Queue.QueueName' },
      d: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':x']] },
      e: [{ 'Fn::Sub': 'x-${AWS::Region}-${Queue.Arn}-${Own}' }, { 'Fn::Sub': ['${A}', { A: { Ref: 'T' } }] }],
      f: { 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] },
      g: 5,
    }, ref)).toEqual({
      a: 'ref:Queue',
      b: 'Queue.Arn',
      c: 'Queue.QueueName',
      d: 'arn:ref:AWS::Partition:x',
      e: ['x-ref:AWS::Region-Queue.Arn-ref:Own', 'ref:T'],
      f: 'b',
      g: 5,
    });
  });

  test('an unsupported intrinsic is a clear error', () => {
    expect(() => resolveValue({ 'Fn::ImportValue': 'x' }, ref)).toThrow(new UnresolvableError('Fn::ImportValue is not supported by the local stack'));
  });
});
