// Preload (node --require ./resolve-localhost.cjs): resolves `*.localhost` to 127.0.0.1.
// fauxqs 1.9.2 names every queue `http://sqs.<region>.localhost:<port>/...` whatever host the
// client used, and the AWS SDK sends SQS requests to the queue URL's host (it ignores
// AWS_ENDPOINT_URL_SQS then). Without systemd-resolved such names do not resolve, so any process
// other than the one running fauxqs needs this, as @cdk-fanout/local's lambda-host.js does.
const dns = require('node:dns');
const lookup = dns.lookup;
dns.lookup = (hostname, ...rest) => lookup(hostname.endsWith('.localhost') ? '127.0.0.1' : hostname, ...rest);
