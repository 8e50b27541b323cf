import { IConstruct } from 'constructs';

/**
 * The one error class this library throws for props that cannot work.
 *
 * The message names the construct path, the prop, the value received and what is allowed, so
 * the user can fix it without reading our source. aws-cdk-lib's own ValidationError is internal.
 */
export class PatternValidationError extends Error {
  constructor(scope: IConstruct, message: string) {
    super(`${scope.node.path}: ${message}`);
    this.name = 'PatternValidationError';
  }
}
