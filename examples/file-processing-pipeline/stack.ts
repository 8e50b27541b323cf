import * as path from 'path';
import { Stack, StackProps } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { FileProcessingPipeline, Handler } from '../../src';
import { exampleHandlerCode } from '../bundle';

/** CSV uploads under uploads/ converted to JSON Lines, with a notice per file. */
export class FileProcessingPipelineExampleStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps & { alarmTopic: sns.ITopic }) {
    super(scope, id, props);
    new FileProcessingPipeline(this, 'CsvImport', {
      processor: Handler.fromCode(exampleHandlerCode(path.join(__dirname, 'handlers', 'csv-to-json.ts')), { handler: 'index.handler' }),
      inputPrefix: 'uploads/',
      inputSuffixes: ['.csv', '.CSV'],
      alarms: { topic: props.alarmTopic },
    });
  }
}
