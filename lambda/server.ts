// Entry point of the local Lambda service (npm run lambda). Configuration comes from environment variables; see
// lambda/README.md.
import { lambdaServiceOptionsFromEnv } from './config';
import { startLambdaService } from './lambda-service';

async function main(): Promise<void> {
  const service = await startLambdaService(lambdaServiceOptionsFromEnv());
  console.log(`local Lambda service listening on ${service.url}`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping the local Lambda service`);
    // Queued events stay in the journal (when configured) and are delivered after the next start.
    service.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
