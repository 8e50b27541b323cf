import { Duration, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { PatternValidationError } from './errors';

/**
 * Fails with a message naming `prop`, the value and the allowed range when `value` lies outside
 * `[min, max]` or is not an integer. Unresolved tokens are skipped: they are checked by the service.
 */
export function validateIntegerRange(scope: IConstruct, prop: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PatternValidationError(scope, `${prop} must be an integer between ${min} and ${max}, got ${value}`);
  }
}

/** Fails when `value` lies outside `[min, max]`, naming `prop` and the range in readable units. */
export function validateDurationRange(scope: IConstruct, prop: string, value: Duration | undefined, min: Duration, max: Duration): void {
  if (value === undefined || value.isUnresolved()) return;
  const seconds = value.toSeconds();
  if (seconds < min.toSeconds() || seconds > max.toSeconds()) {
    throw new PatternValidationError(scope, `${prop} must be between ${min.toHumanString()} and ${max.toHumanString()}, got ${value.toHumanString()}`);
  }
}

/** Fails when both or neither of two mutually exclusive props are given. */
export function requireExactlyOne(scope: IConstruct, names: [string, string], values: [unknown, unknown]): void {
  const given = values.filter((v) => v !== undefined).length;
  if (given === 2) {
    throw new PatternValidationError(scope, `specify either ${names[0]} or ${names[1]}, not both`);
  }
  if (given === 0) {
    throw new PatternValidationError(scope, `specify one of ${names[0]} or ${names[1]}`);
  }
}

/**
 * Fails when `value` lies outside `[min, max]` or is not a whole number of seconds (Lambda and SQS
 * take seconds), naming `prop`.
 */
export function validateWholeSeconds(scope: IConstruct, prop: string, value: Duration | undefined, min: Duration, max: Duration): void {
  if (value === undefined || value.isUnresolved()) return;
  const ms = value.toMilliseconds();
  if (ms % 1000 !== 0) {
    throw new PatternValidationError(scope, `${prop} must be a whole number of seconds between ${min.toHumanString()} and ${max.toHumanString()}, got ${value.toHumanString()} (${ms} ms)`);
  }
  validateDurationRange(scope, prop, value, min, max);
}
