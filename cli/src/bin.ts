#!/usr/bin/env node
/*
 * The `fanout` executable. On Node 20 the AWS SDK prints an 8-line notice about its Node support
 * in every process; an on-call tool run many times a day turns it off for its own process, before
 * any client loads (a user who sets the variable keeps their value).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

void import('./fanout.js').then(({ runFromProcess }) => runFromProcess());
