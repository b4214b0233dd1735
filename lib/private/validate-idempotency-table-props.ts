import { Token } from 'aws-cdk-lib';
import type { IdempotencyTableProps } from '../idempotency-table';
import { ENVIRONMENT_RULE, environmentName } from './environment';
import { ValidationRule } from './validation';

/** DynamoDB's table names: 3 to 255 letters, digits, underscores, dashes and dots. */
const TABLE_NAME_PATTERN = /^[a-zA-Z0-9_.-]{3,255}$/;

/** Every rule of an idempotency table's props; all broken ones are reported together. */
export const IDEMPOTENCY_TABLE_RULES: ReadonlyArray<ValidationRule<IdempotencyTableProps>> = [
  ENVIRONMENT_RULE,
  {
    condition: (props) => props.tableName !== undefined && !Token.isUnresolved(props.tableName) && !TABLE_NAME_PATTERN.test(environmentName(props.environment, props.tableName)),
    message: (props) => `tableName '${props.tableName}' is not a DynamoDB table name; use 3 to 255 letters, digits, '_', '-' or '.'${props.environment ? ` (with '${props.environment}-' in front)` : ''}, `
      + 'or remove tableName to have one generated',
  },
];
