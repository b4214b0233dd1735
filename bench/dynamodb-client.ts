import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '@cdk-fanout/local';

/**
 * The DynamoDB client both runtimes get: the same settings for both, so the figures compare the
 * libraries, not client options. `cacheMiddleware` is on (cdk-fanout's default; Powertools'
 * default client leaves it off, which would only make Powertools slower).
 */
export function benchDynamoDbClient(endpoint?: string): DynamoDBClient {
  return new DynamoDBClient({
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    cacheMiddleware: true,
    ...(endpoint ? { endpoint } : {}),
  });
}
