import { IConstruct } from 'constructs';
import { DatabaseAccessOptions } from './database';
import { PatternValidationError } from './errors';

/**
 * Fails for database options that would be ignored: `databaseSubnets`/`databaseUser` without a
 * `database`, or a `database` for a pattern whose target runs no user function (`reason` says why).
 */
export function validateDatabaseOptions(scope: IConstruct, options: DatabaseAccessOptions, noFunction?: string): void {
  if (!options.database) {
    const given = (['databaseSubnets', 'databaseUser'] as const).filter((p) => options[p] !== undefined);
    if (given.length > 0) {
      throw new PatternValidationError(scope, `${given.join(' and ')} ${given.length > 1 ? 'apply' : 'applies'} only with database, which is not set: give database or remove ${given.join(' and ')}`);
    }
    return;
  }
  if (noFunction !== undefined) {
    throw new PatternValidationError(scope, `database would be ignored: ${noFunction}`);
  }
}

/**
 * Fails for `databaseSubnets` with an existing function (`Handler.fromFunction`): the function's
 * subnets are its own, so the option would be ignored.
 */
export function validateDatabaseSubnetsForExisting(scope: IConstruct, options: DatabaseAccessOptions, prop: string): void {
  if (options.database && options.databaseSubnets !== undefined) {
    throw new PatternValidationError(scope, `databaseSubnets places the functions the pattern builds, but ${prop} is an existing function (Handler.fromFunction) whose subnets are its own: remove databaseSubnets, or place the function in the database's VPC yourself`);
  }
}
