import * as path from 'path';
import { Stack, StackProps } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { FileProcessingPipeline, Handler } from '../../src';
import { exampleHandlerCode } from '../bundle';

/**
 * CSV uploads under uploads/ converted to JSON Lines, with a notice per file; and image uploads
 * turned into WebP thumbnails by a `Handler.fromEntry` processor whose native dependency (sharp) is
 * installed for Linux arm64 at synth, without Docker.
 */
export class FileProcessingPipelineExampleStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps & { alarmTopic: sns.ITopic }) {
    super(scope, id, props);
    new FileProcessingPipeline(this, 'CsvImport', {
      processor: Handler.fromCode(exampleHandlerCode(path.join(__dirname, 'handlers', 'csv-to-json.ts')), { handler: 'index.handler' }),
      inputPrefix: 'uploads/',
      inputSuffixes: ['.csv', '.CSV'],
      alarms: { topic: props.alarmTopic },
    });
    new FileProcessingPipeline(this, 'Thumbnails', {
      processor: Handler.fromEntry(path.join(__dirname, '..', 'thumbnailer', 'index.ts'), { nodeModules: ['sharp'], memorySize: 2048 }),
      inputPrefix: 'images/',
      inputSuffixes: ['.jpg', '.jpeg', '.png', '.webp'],
      alarms: { topic: props.alarmTopic },
    });
  }
}
