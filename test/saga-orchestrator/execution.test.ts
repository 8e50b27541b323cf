/**
 * The saga's behaviour, proven by executing the state machine definition it synthesizes in
 * aws-local-stepfunctions (see ./asl.ts): for every step k of a saga, a failure of k runs exactly
 * the compensations of steps k-1..1 that have one, in reverse order, and fails with k's error.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AslDefinition, localFunctionArn, LocalHandler, namedError, runLocally, synthesizedDefinition } from './asl';
import { Handler, SagaOrchestrator, SagaOrchestratorProps } from '../../src';

const METRIC_TASK = 'arn:aws:states:::aws-sdk:cloudwatch:putMetricData';

/** A step of a test saga: its name and whether it has a compensation. */
interface StepSpec { readonly name: string; readonly compensated: boolean }

/** What makes a handler fail: for each call (1-based attempt), an error to throw or nothing. */
type Behaviour = (attempt: number) => Error | undefined;

/** A synthesized saga plus local handlers that record every call and fail on demand. */
class SagaUnderTest {
  public readonly definition: AslDefinition;
  public readonly calls: string[] = [];
  public readonly inputs: Record<string, any[]> = {};
  public readonly metricCalls: any[] = [];
  /** Makes the PutMetricData task fail. */
  public metricError?: Error;
  private readonly behaviours: Record<string, Behaviour> = {};
  private readonly arns: Record<string, string> = {};

  constructor(public readonly specs: StepSpec[], props: Partial<SagaOrchestratorProps> = {}) {
    const stack = new Stack(new App(), 'Stack');
    const code = (name: string) => Handler.fromCode(lambda.Code.fromInline(`// ${name}`), { handler: 'index.handler' });
    const saga = new SagaOrchestrator(stack, 'Saga', {
      ...props,
      steps: specs.map((s) => ({ name: s.name, action: code(s.name), compensation: s.compensated ? code(`undo ${s.name}`) : undefined })),
    });
    for (const s of specs) {
      this.arns[`action:${s.name}`] = localFunctionArn(saga.step(s.name).actionFunction);
      if (s.compensated) this.arns[`compensate:${s.name}`] = localFunctionArn(saga.step(s.name).compensationFunction!);
    }
    // Taken from the template: what would be deployed.
    this.definition = synthesizedDefinition(saga);
  }

  /** Makes `key` (`action:Name` or `compensate:Name`) fail as `behaviour` says. */
  public fail(key: string, behaviour: Behaviour): this {
    this.behaviours[key] = behaviour;
    return this;
  }

  public run(input: unknown = { tripId: 'trip-1' }) {
    const handlers: Record<string, LocalHandler> = {};
    const attempts: Record<string, number> = {};
    for (const [key, arn] of Object.entries(this.arns)) {
      handlers[arn] = async (state: any) => {
        attempts[key] = (attempts[key] ?? 0) + 1;
        this.calls.push(key);
        (this.inputs[key] ??= []).push(structuredClone(state));
        const error = this.behaviours[key]?.(attempts[key]);
        if (error) throw error;
        return { done: key };
      };
    }
    handlers[METRIC_TASK] = async (params: any) => {
      this.metricCalls.push(params);
      if (this.metricError) throw this.metricError;
      return {};
    };
    return runLocally(this.definition, input, { handlers, stateMachineName: 'BookTrip' });
  }
}

const always = (error: Error): Behaviour => () => error;
const once = (error: Error): Behaviour => (attempt) => (attempt === 1 ? error : undefined);

const BOOK_TRIP: StepSpec[] = [
  { name: 'ReserveHotel', compensated: true },
  { name: 'BookFlight', compensated: true },
  { name: 'ChargePayment', compensated: false },
];
// A step without compensation in the middle: its compensation is skipped.
const WITH_GAP: StepSpec[] = [
  { name: 'A', compensated: true },
  { name: 'B', compensated: false },
  { name: 'C', compensated: true },
  { name: 'D', compensated: true },
  { name: 'E', compensated: false },
];

describe.each([
  ['the book-trip saga', BOOK_TRIP],
  ['a saga with a step without compensation in the middle', WITH_GAP],
])('%s', (_title, specs) => {
  test.each(specs.map((s, i) => [i + 1, s.name] as const))(
    'a failure of step %i (%s) runs the compensations of the completed steps in reverse order, then fails with its error',
    async (k) => {
      // GIVEN
      const saga = new SagaUnderTest(specs);
      const failing = specs[k - 1].name;
      saga.fail(`action:${failing}`, always(namedError('StepFailed', `${failing} is not possible`)));
      // WHEN
      const result = await saga.run();
      // THEN
      const actions = specs.slice(0, k).map((s) => `action:${s.name}`);
      const compensations = specs.slice(0, k - 1).filter((s) => s.compensated).reverse().map((s) => `compensate:${s.name}`);
      expect(saga.calls).toEqual([...actions, ...compensations]);
      expect(result).toEqual({ status: 'FAILED', error: 'StepFailed', cause: `${failing} is not possible` });
      expect(saga.metricCalls).toEqual([]);
    },
  );

  test('succeeds when every step succeeds, running no compensation', async () => {
    const saga = new SagaUnderTest(specs);
    const result = await saga.run();
    expect(result.status).toBe('SUCCEEDED');
    expect(saga.calls).toEqual(specs.map((s) => `action:${s.name}`));
  });
});

describe('state', () => {
  test('the success output is { input, results } with each step\'s result under its name', async () => {
    const saga = new SagaUnderTest(BOOK_TRIP);
    const result = await saga.run({ tripId: 'trip-7', travellers: 2 });
    expect(result).toEqual({
      status: 'SUCCEEDED',
      output: {
        input: { tripId: 'trip-7', travellers: 2 },
        results: {
          ReserveHotel: { done: 'action:ReserveHotel' },
          BookFlight: { done: 'action:BookFlight' },
          ChargePayment: { done: 'action:ChargePayment' },
        },
      },
    });
  });

  test('each action receives the input and the results of the steps before it', async () => {
    const saga = new SagaUnderTest(BOOK_TRIP);
    await saga.run({ tripId: 'trip-7' });
    expect(saga.inputs['action:ChargePayment']).toEqual([{
      input: { tripId: 'trip-7' },
      results: { ReserveHotel: { done: 'action:ReserveHotel' }, BookFlight: { done: 'action:BookFlight' } },
    }]);
  });

  test('a compensation receives the results of the completed steps and the error that triggered it', async () => {
    const saga = new SagaUnderTest(BOOK_TRIP).fail('action:ChargePayment', always(namedError('PaymentDeclined', 'card expired')));
    await saga.run({ tripId: 'trip-7' });
    expect(saga.inputs['compensate:ReserveHotel']).toEqual([{
      input: { tripId: 'trip-7' },
      results: { ReserveHotel: { done: 'action:ReserveHotel' }, BookFlight: { done: 'action:BookFlight' } },
      error: { Error: 'PaymentDeclined', Cause: 'card expired' },
    }]);
  });
});

describe('retries', () => {
  test.each([
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.ClientExecutionTimeoutException',
    'Lambda.TooManyRequestsException',
  ])('a step failing once with %s is retried and the saga succeeds', async (transient) => {
    const saga = new SagaUnderTest(BOOK_TRIP).fail('action:BookFlight', once(namedError(transient, 'blip')));
    const result = await saga.run();
    expect(result.status).toBe('SUCCEEDED');
    expect(saga.calls).toEqual(['action:ReserveHotel', 'action:BookFlight', 'action:BookFlight', 'action:ChargePayment']);
  });

  test('a step is retried 3 times by default, then the saga compensates and fails with the transient error', async () => {
    const saga = new SagaUnderTest(BOOK_TRIP).fail('action:BookFlight', always(namedError('Lambda.TooManyRequestsException', 'Rate exceeded')));
    const result = await saga.run();
    expect(saga.calls).toEqual(['action:ReserveHotel', ...Array(4).fill('action:BookFlight'), 'compensate:ReserveHotel']);
    expect(result).toEqual({ status: 'FAILED', error: 'Lambda.TooManyRequestsException', cause: 'Rate exceeded' });
  });

  test('an error the step throws itself is not retried', async () => {
    const saga = new SagaUnderTest(BOOK_TRIP).fail('action:BookFlight', once(namedError('NoSeatsLeft', 'flight full')));
    await saga.run();
    expect(saga.calls.filter((c) => c === 'action:BookFlight')).toHaveLength(1);
  });

  test('errors listed in retryOnErrors are retried, retryAttempts times', async () => {
    const saga = new SagaUnderTest(BOOK_TRIP, { retryOnErrors: ['TemporarilyUnavailable'], retryAttempts: 1 })
      .fail('action:BookFlight', always(namedError('TemporarilyUnavailable', 'airline down')));
    const result = await saga.run();
    expect(saga.calls.filter((c) => c === 'action:BookFlight')).toHaveLength(2);
    expect(result.error).toBe('TemporarilyUnavailable');
  });

  test('a compensation failing once is retried and the saga still fails with the original error', async () => {
    const saga = new SagaUnderTest(BOOK_TRIP)
      .fail('action:ChargePayment', always(namedError('PaymentDeclined', 'card expired')))
      .fail('compensate:BookFlight', once(namedError('Error', 'airline API timeout')));
    const result = await saga.run();
    expect(saga.calls).toEqual(['action:ReserveHotel', 'action:BookFlight', 'action:ChargePayment', 'compensate:BookFlight', 'compensate:BookFlight', 'compensate:ReserveHotel']);
    expect(result).toEqual({ status: 'FAILED', error: 'PaymentDeclined', cause: 'card expired' });
  });
});

describe('a failing compensation', () => {
  test('is retried 5 times, then ends the execution in CompensationFailed and records the metric', async () => {
    // GIVEN
    const saga = new SagaUnderTest(BOOK_TRIP)
      .fail('action:ChargePayment', always(namedError('PaymentDeclined', 'card expired')))
      .fail('compensate:BookFlight', always(namedError('Error', 'booking reference unknown')));
    // WHEN
    const result = await saga.run();
    // THEN: BookFlight's compensation tried 6 times; ReserveHotel's never runs (a human takes over)
    expect(saga.calls).toEqual(['action:ReserveHotel', 'action:BookFlight', 'action:ChargePayment', ...Array(6).fill('compensate:BookFlight')]);
    expect(result).toEqual({ status: 'FAILED', error: 'CompensationFailed', cause: 'booking reference unknown' });
    expect(saga.metricCalls).toEqual([{
      Namespace: 'cdk-serverless-patterns',
      MetricData: [{ MetricName: 'SagaCompensationFailed', Unit: 'Count', Value: 1, Dimensions: [{ Name: 'StateMachineName', Value: 'BookTrip' }] }],
    }]);
  });

  test('ends in CompensationFailed even when the metric cannot be recorded', async () => {
    const saga = new SagaUnderTest(BOOK_TRIP)
      .fail('action:BookFlight', always(namedError('NoSeatsLeft', 'flight full')))
      .fail('compensate:ReserveHotel', always(namedError('Error', 'hotel API down')));
    saga.metricError = namedError('CloudWatch.CloudWatchException', 'throttled');
    const result = await saga.run();
    expect(saga.metricCalls).toHaveLength(1);
    expect(result).toEqual({ status: 'FAILED', error: 'CompensationFailed', cause: 'hotel API down' });
  });

  test('uses compensationRetryAttempts', async () => {
    const saga = new SagaUnderTest(BOOK_TRIP, { compensationRetryAttempts: 0 })
      .fail('action:BookFlight', always(namedError('NoSeatsLeft', 'flight full')))
      .fail('compensate:ReserveHotel', always(namedError('Error', 'hotel API down')));
    const result = await saga.run();
    expect(saga.calls.filter((c) => c === 'compensate:ReserveHotel')).toHaveLength(1);
    expect(result.error).toBe('CompensationFailed');
  });
});

test('the Express variant synthesizes the same behaviour', async () => {
  const saga = new SagaUnderTest(BOOK_TRIP, { stateMachineType: sfn.StateMachineType.EXPRESS })
    .fail('action:ChargePayment', always(namedError('PaymentDeclined', 'card expired')));
  const result = await saga.run();
  expect(saga.calls).toEqual(['action:ReserveHotel', 'action:BookFlight', 'action:ChargePayment', 'compensate:BookFlight', 'compensate:ReserveHotel']);
  expect(result.error).toBe('PaymentDeclined');
});
