// The nearest package.json is this example's own (sharp only); the runtime helpers resolve through tsconfig paths.
// eslint-disable-next-line import/no-extraneous-dependencies
import { fileProcessor } from 'cdk-serverless-patterns-runtime/file-processor';
// sharp is a native module: Handler.fromEntry leaves it out of the bundle and installs it, with
// its libvips binaries for Linux and the function's architecture (arm64), next to the bundle.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sharp = require('sharp') as (input: Buffer) => { resize(width: number): { webp(): { toBuffer(): Promise<Buffer> } } };

/** Writes a 320 px wide WebP thumbnail of every uploaded image into the output bucket. */
export const handler = fileProcessor(async (file) => {
  const thumbnail = await sharp(await file.read()).resize(320).webp().toBuffer();
  const name = file.key.replace(/^.*\//, '').replace(/\.[^.]+$/, '');
  await file.write(`${name}.webp`, thumbnail, 'image/webp');
});
