import { Token } from 'aws-cdk-lib';
import { failedRules, invalidPropsMessage, ValidationRule, wholeNumberRule } from '../../lib/private/validation';

interface Props {
  readonly size?: number;
  readonly name?: string;
}

const rules: Array<ValidationRule<Props>> = [
  wholeNumberRule('size', (props) => props.size, 1, () => 10),
  { condition: (props) => props.name === '', message: () => 'name is empty; give one or remove name' },
];

describe('declarative prop rules', () => {
  test('every broken rule is reported, in the order of the rules', () => {
    expect(failedRules({ size: 11, name: '' }, rules)).toEqual(['size must be a whole number from 1 to 10, got 11', 'name is empty; give one or remove name']);
    expect(failedRules({ size: 10, name: 'x' }, rules)).toEqual([]);
  });

  test('a whole-number rule refuses fractions and leaves absent values and tokens alone', () => {
    expect(failedRules({ size: 2.5 }, rules)).toEqual(['size must be a whole number from 1 to 10, got 2.5']);
    expect(failedRules({}, rules)).toEqual([]);
    expect(failedRules({ size: Token.asNumber({ resolve: () => 50 }) }, rules)).toEqual([]);
  });

  test('one failure is one line after the path; several are counted and listed', () => {
    expect(invalidPropsMessage('App/Stack/Thing', ['size is wrong'])).toBe('App/Stack/Thing: size is wrong');
    expect(invalidPropsMessage('App/Stack/Thing', ['size is wrong', 'name is wrong']))
      .toBe('App/Stack/Thing: 2 invalid props:\n  - size is wrong\n  - name is wrong');
  });
});
