import { Annotations, Duration, TimeZone, Token } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { IConstruct } from 'constructs';
import { PatternValidationError } from '../core/errors';

/**
 * The fields of an EventBridge Scheduler cron expression, `cron(minute hour day month weekDay year)`.
 *
 * Each field is a string in AWS cron syntax: a value, a list `a,b`, a range `a-b`, a step `* /n`
 * (without the space) or `a/n`, or `*`. `day` and `weekDay` cannot both restrict the date:
 * exactly one of them must be `?`; the one you leave out becomes `?` (both left out: every day).
 *
 * @see https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based
 */
export interface JobCronOptions {
  /**
   * Minute, 0-59.
   *
   * @default '*' - every minute, as aws-cdk-lib's CronOptions: set it for a job that runs once an hour or less
   */
  readonly minute?: string;
  /**
   * Hour, 0-23.
   *
   * @default '*'
   */
  readonly hour?: string;
  /**
   * Day of the month, 1-31; also `L` (last day), `nW` (weekday nearest to day n), `?`.
   *
   * @default - '*' when weekDay is not given, otherwise '?'
   */
  readonly day?: string;
  /**
   * Month, 1-12 or JAN-DEC.
   *
   * @default '*'
   */
  readonly month?: string;
  /**
   * Day of the week, 1-7 or SUN-SAT (1 = SUN); also `L`, `nL` (last day n of the month),
   * `n#k` (k-th day n of the month), `?`.
   *
   * @default - '?' (day restricts the date instead)
   */
  readonly weekDay?: string;
  /**
   * Year, 1970-2199.
   *
   * @default '*'
   */
  readonly year?: string;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEK_DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** How one cron field is checked: its range, its names and the wildcards AWS allows in it. */
interface CronField {
  readonly prop: string;
  readonly min: number;
  readonly max: number;
  readonly names?: string[];
  readonly step: boolean;
  readonly allowed: string;
}

const FIELDS: Record<'minute' | 'hour' | 'day' | 'month' | 'weekDay' | 'year', CronField> = {
  minute: { prop: 'minute', min: 0, max: 59, step: true, allowed: '0-59 with , - * /' },
  hour: { prop: 'hour', min: 0, max: 23, step: true, allowed: '0-23 with , - * /' },
  day: { prop: 'day', min: 1, max: 31, step: true, allowed: '1-31 with , - * ? / L W' },
  month: { prop: 'month', min: 1, max: 12, names: MONTHS, step: true, allowed: '1-12 or JAN-DEC with , - * /' },
  weekDay: { prop: 'weekDay', min: 1, max: 7, names: WEEK_DAYS, step: false, allowed: '1-7 or SUN-SAT with , - * ? L #' },
  year: { prop: 'year', min: 1970, max: 2199, step: true, allowed: '1970-2199 with , - * /' },
};

/** One kind of schedule; the class stays a jsii-friendly stand-in for a union. */
enum ScheduleKind { CRON = 'cron', RATE = 'rate', AT = 'at', EXPRESSION = 'expression' }

/**
 * When a `ScheduledJob` runs: a cron expression, a fixed rate, once at a date, or an aws-cdk-lib
 * `scheduler.ScheduleExpression` you already have.
 *
 * The factories only record the schedule; `ScheduledJob` validates it at synth, so the error
 * names the construct: AWS's six-field cron rules (`?` in exactly one of day and weekDay, the
 * range of every field), a rate of at least one whole minute, a valid date.
 */
export class JobSchedule {
  /**
   * A cron schedule, evaluated in the job's `timeZone`.
   *
   * @example JobSchedule.cron({ minute: '0', hour: '2' }) // 02:00 every day
   */
  public static cron(options: JobCronOptions): JobSchedule {
    const weekDayGiven = options.weekDay !== undefined;
    const fields = [
      options.minute ?? '*',
      options.hour ?? '*',
      options.day ?? (weekDayGiven ? '?' : '*'),
      options.month ?? '*',
      options.weekDay ?? '?',
      options.year ?? '*',
    ];
    return new JobSchedule(ScheduleKind.CRON, `cron(${fields.join(' ')})`, fields, undefined, undefined);
  }

  /**
   * A fixed rate: at least one minute, in whole minutes (Scheduler's finest unit).
   *
   * @example JobSchedule.rate(Duration.minutes(15))
   */
  public static rate(interval: Duration): JobSchedule {
    return new JobSchedule(ScheduleKind.RATE, rateExpression(interval), undefined, interval, undefined);
  }

  /**
   * Once, at this instant (a one-time schedule). The instant is absolute; with a `timeZone` the
   * expression is written as the wall-clock time of that zone.
   *
   * @example
   * declare const launch: Date;
   * JobSchedule.at(launch);
   */
  public static at(date: Date): JobSchedule {
    return new JobSchedule(ScheduleKind.AT, `at(${formatWallClock(date, 'UTC')})`, undefined, undefined, date);
  }

  /**
   * An EventBridge Scheduler expression built with aws-cdk-lib (`scheduler.ScheduleExpression.cron()`,
   * `.rate()`, `.at()` or `.expression()`). A cron expression is validated as `JobSchedule.cron()` is.
   * Its time zone, if it has one other than UTC (aws-cdk-lib's default), is the schedule's: then
   * the job's `timeZone` must be unset or the same zone.
   *
   * @example JobSchedule.expression(scheduler.ScheduleExpression.rate(Duration.hours(6)))
   */
  public static expression(expression: scheduler.ScheduleExpression): JobSchedule {
    return new JobSchedule(ScheduleKind.EXPRESSION, expression.expressionString, undefined, undefined, undefined, expression);
  }

  /**
   * The expression as EventBridge Scheduler receives it (for a one-time schedule of `at()`: in UTC),
   * e.g. `cron(0 2 * * ? *)`, `rate(15 minutes)` or `at(2027-01-01T09:00:00)`.
   */
  public readonly expressionString: string;

  private constructor(
    private readonly kind: ScheduleKind,
    expressionString: string,
    private readonly cronFields: string[] | undefined,
    private readonly interval: Duration | undefined,
    private readonly date: Date | undefined,
    private readonly given?: scheduler.ScheduleExpression,
  ) {
    this.expressionString = expressionString;
  }

  /** True for a one-time (`at`) schedule. */
  public get isOneTime(): boolean {
    return this.kind === ScheduleKind.AT || (this.kind === ScheduleKind.EXPRESSION && this.expressionString.startsWith('at('));
  }

  /**
   * Validates the schedule for `scope` and renders it for EventBridge Scheduler.
   *
   * @internal
   */
  public _bind(scope: IConstruct, zone: TimeZone | undefined): scheduler.ScheduleExpression {
    const timeZone = zone?.timezoneName;
    switch (this.kind) {
      case ScheduleKind.EXPRESSION:
        return bindExpression(scope, this.given!, zone);
      case ScheduleKind.CRON:
        validateCron(scope, this.cronFields!);
        return scheduler.ScheduleExpression.expression(this.expressionString, zone);
      case ScheduleKind.RATE:
        validateRate(scope, this.interval!);
        return scheduler.ScheduleExpression.expression(this.expressionString);
      default:
        if (Number.isNaN(this.date!.getTime())) {
          throw new PatternValidationError(scope, 'schedule: JobSchedule.at() needs a valid date, got an invalid Date');
        }
        if (this.date!.getTime() < Date.now()) {
          // A warning, not an error: the same app synthesized later must not start failing.
          Annotations.of(scope).addWarningV2('cdk-serverless-patterns:oneTimeScheduleInPast', `the one-time schedule ${this.expressionString} (UTC) is in the past: it will never run`);
        }
        if (zone === undefined) return scheduler.ScheduleExpression.expression(this.expressionString);
        return scheduler.ScheduleExpression.expression(`at(${formatWallClock(this.date!, timeZone!)})`, zone);
    }
  }
}

function bindExpression(scope: IConstruct, given: scheduler.ScheduleExpression, zone: TimeZone | undefined): scheduler.ScheduleExpression {
  const text = given.expressionString;
  if (Token.isUnresolved(text)) return zone && !given.timeZone ? scheduler.ScheduleExpression.expression(text, zone) : given;
  const cron = /^cron\((.*)\)$/.exec(text);
  if (cron) {
    const fields = cron[1].split(' ');
    if (fields.length !== 6) {
      throw new PatternValidationError(scope, `schedule: JobSchedule.expression() cron needs 6 fields (minute hour day month weekDay year), got ${fields.length} in '${text}'`);
    }
    validateCron(scope, fields);
  } else if (!/^(rate|at)\(.+\)$/.test(text)) {
    throw new PatternValidationError(scope, `schedule: JobSchedule.expression() must be a cron(...), rate(...) or at(...) expression, got '${text}'`);
  }
  // aws-cdk-lib gives cron() and at() expressions without a zone Etc/UTC: that one yields to timeZone.
  const own = given.timeZone && given.timeZone.timezoneName !== TimeZone.ETC_UTC.timezoneName ? given.timeZone : undefined;
  if (own && zone && !Token.isUnresolved(own.timezoneName) && !Token.isUnresolved(zone.timezoneName) && own.timezoneName !== zone.timezoneName) {
    throw new PatternValidationError(scope, `timeZone is ${zone.timezoneName} but the schedule expression carries its own time zone ${own.timezoneName}: set the zone in one place`);
  }
  if (own || !zone || text.startsWith('rate(')) return given;
  if (text.startsWith('at(') && given.timeZone) {
    // at() is written as the wall clock of its zone: the instant would move with the zone.
    throw new PatternValidationError(scope, `schedule: JobSchedule.expression() with a one-time expression is written in ${given.timeZone.timezoneName}; give its zone to ScheduleExpression.at(date, zone) instead of timeZone, or use JobSchedule.at(date)`);
  }
  return scheduler.ScheduleExpression.expression(text, zone);
}

function rateExpression(interval: Duration): string {
  if (interval.isUnresolved()) return `rate(${interval.toMinutes()} minutes)`;
  const seconds = interval.toSeconds();
  const minutes = seconds / 60;
  const [value, unit] = minutes % 1440 === 0 && minutes > 0 ? [minutes / 1440, 'day']
    : minutes % 60 === 0 && minutes > 0 ? [minutes / 60, 'hour']
      : [minutes, 'minute'];
  return `rate(${value} ${unit}${value === 1 ? '' : 's'})`;
}

function validateRate(scope: IConstruct, interval: Duration): void {
  if (interval.isUnresolved()) return;
  const seconds = interval.toSeconds();
  if (seconds < 60) {
    throw new PatternValidationError(scope, `schedule: JobSchedule.rate() must be at least 1 minute (EventBridge Scheduler's finest rate), got ${interval.toHumanString()}`);
  }
  if (seconds % 60 !== 0) {
    throw new PatternValidationError(scope, `schedule: JobSchedule.rate() must be a whole number of minutes (EventBridge Scheduler's rate unit), got ${interval.toHumanString()}`);
  }
}

function validateCron(scope: IConstruct, fields: string[]): void {
  const [minute, hour, day, month, weekDay, year] = fields;
  const given: Array<[CronField, string]> = [
    [FIELDS.minute, minute], [FIELDS.hour, hour], [FIELDS.day, day],
    [FIELDS.month, month], [FIELDS.weekDay, weekDay], [FIELDS.year, year],
  ];
  if (fields.some((f) => Token.isUnresolved(f))) return;
  for (const [field, value] of given) {
    const problem = cronFieldProblem(field, value);
    if (problem) {
      throw new PatternValidationError(scope, `schedule: cron ${field.prop} must be ${field.allowed}, got '${value}' (${problem})`);
    }
  }
  if ((day === '?') === (weekDay === '?')) {
    throw new PatternValidationError(scope, `schedule: cron day and weekDay: exactly one must be '?' (AWS cron cannot restrict both day-of-month and day-of-week, and one must restrict the date), got day '${day}' and weekDay '${weekDay}'`);
  }
}

/** Why `value` is not a valid cron field, or undefined when it is. */
function cronFieldProblem(field: CronField, value: string): string | undefined {
  if (value.trim() !== value || value === '' || /\s/.test(value)) return 'a field has no spaces';
  if (value === '?') {
    return field.prop === 'day' || field.prop === 'weekDay' ? undefined : "'?' is allowed in day and weekDay only";
  }
  for (const item of value.split(',')) {
    const problem = cronItemProblem(field, item);
    if (problem) return problem;
  }
  return undefined;
}

function cronItemProblem(field: CronField, item: string): string | undefined {
  if (item === '') return 'empty list item';
  if (item === '?') return "'?' must stand alone";
  if (item === '*') return undefined;
  if (field.prop === 'day') {
    if (item === 'L' || item === 'LW') return undefined;
    const weekday = /^(\d+)W$/.exec(item);
    if (weekday) return valueProblem(field, weekday[1]);
  }
  if (field.prop === 'weekDay') {
    if (item === 'L') return undefined;
    const last = /^([A-Z0-9]+)L$/.exec(item);
    if (last) return valueProblem(field, last[1]);
    const nth = /^([A-Z0-9]+)#(\d+)$/.exec(item);
    if (nth) {
      const k = Number(nth[2]);
      return valueProblem(field, nth[1]) ?? (k >= 1 && k <= 5 ? undefined : `'#${nth[2]}': the instance of a day in a month is 1-5`);
    }
  }
  const slash = item.split('/');
  if (slash.length > 2) return `'${item}' has more than one '/'`;
  if (slash.length === 2) {
    if (!field.step) return `'/' is not allowed in ${field.prop}`;
    const [base, increment] = slash;
    if (!/^\d+$/.test(increment) || Number(increment) < 1 || Number(increment) > field.max) {
      return `the increment after '/' must be 1-${field.max}`;
    }
    if (base === '*') return undefined;
    return rangeProblem(field, base);
  }
  return rangeProblem(field, item);
}

function rangeProblem(field: CronField, item: string): string | undefined {
  const parts = item.split('-');
  if (parts.length > 2) return `'${item}' is not a value or a range a-b`;
  for (const part of parts) {
    const problem = valueProblem(field, part);
    if (problem) return problem;
  }
  if (parts.length === 2 && toNumber(field, parts[0]) > toNumber(field, parts[1])) {
    return `the range '${item}' runs backwards`;
  }
  return undefined;
}

function valueProblem(field: CronField, value: string): string | undefined {
  const n = toNumber(field, value);
  if (Number.isNaN(n)) return `'${value}' is not a number${field.names ? ' or a name' : ''}`;
  if (n < field.min || n > field.max) return `${value} is outside ${field.min}-${field.max}`;
  return undefined;
}

function toNumber(field: CronField, value: string): number {
  const named = field.names?.indexOf(value.toUpperCase()) ?? -1;
  if (named >= 0) return named + field.min;
  return /^\d+$/.test(value) ? Number(value) : NaN;
}

/** `yyyy-mm-ddThh:mm:ss` of `date` on the wall clock of `timeZone` (Scheduler's `at()` format). */
function formatWallClock(date: Date, timeZone: string): string {
  if (Number.isNaN(date.getTime())) return 'invalid-date';
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(date);
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}:${get('second')}`;
}
