#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { OrdersFanOutStack } from '../examples/orders/stack';

const app = new App();
new OrdersFanOutStack(app, 'OrdersFanOut');
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
