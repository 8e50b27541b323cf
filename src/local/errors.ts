/**
 * The one error class of the local cloud: a one-line message a user can act on (a missing cdk.out,
 * an unknown stack, an asset that is not on disk), never a stack trace from deep inside.
 */
export class LocalCloudError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalCloudError';
  }
}
