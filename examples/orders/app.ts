import { App, AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { OrdersFanOutStack } from './stack';

/** The sample app: stack `OrdersFanOut`, checked by cdk-nag's AwsSolutions pack at synth. */
export function ordersApp(props?: AppProps): App {
  const app = new App(props);
  new OrdersFanOutStack(app, 'OrdersFanOut');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}
