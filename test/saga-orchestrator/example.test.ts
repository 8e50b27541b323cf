/**
 * The example app's saga, end to end on this machine: the state machine definition synthesized by
 * examples/saga-orchestrator/stack.ts runs in aws-local-stepfunctions with each Task served by the
 * example's real handler code (imported, not mocked).
 */
import { App, Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { localFunctionArn, LocalHandler, runLocally, synthesizedDefinition } from './asl';
import { SagaOrchestratorExampleStack } from '../../examples/saga-orchestrator/stack';
import { SagaOrchestrator } from '../../src';

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
/* eslint-disable @typescript-eslint/no-require-imports */
const code: Record<string, { handler: LocalHandler }> = {
  'ReserveHotel': require('../../examples/saga-orchestrator/handlers/reserve-hotel'),
  'BookFlight': require('../../examples/saga-orchestrator/handlers/book-flight'),
  'ChargePayment': require('../../examples/saga-orchestrator/handlers/charge-payment'),
  'Compensate-ReserveHotel': require('../../examples/saga-orchestrator/handlers/cancel-hotel'),
  'Compensate-BookFlight': require('../../examples/saga-orchestrator/handlers/cancel-flight'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

let saga: SagaOrchestrator;
const calls: string[] = [];
const handlers: Record<string, LocalHandler> = {};

beforeAll(() => {
  const app = new App();
  const shared = new Stack(app, 'Shared');
  const stack = new SagaOrchestratorExampleStack(app, 'SagaOrchestratorExample', { alarmTopic: new sns.Topic(shared, 'Alarms') });
  saga = stack.node.findChild('BookTrip') as SagaOrchestrator;
  for (const step of saga.steps) {
    const wrap = (state: string): LocalHandler => async (input) => {
      calls.push(state);
      return code[state].handler(input);
    };
    handlers[localFunctionArn(step.actionFunction)] = wrap(step.name);
    if (step.compensationFunction) handlers[localFunctionArn(step.compensationFunction)] = wrap(`Compensate-${step.name}`);
  }
  handlers['arn:aws:states:::aws-sdk:cloudwatch:putMetricData'] = async () => ({});
});
beforeEach(() => {
  calls.length = 0;
});

const trip = { tripId: 't-42', hotelId: 'h-7', flightNumber: 'AF1234', amountCents: 45000 };

test('a valid trip books hotel, flight and payment and outputs every result', async () => {
  const result = await runLocally(synthesizedDefinition(saga), trip, { handlers });
  expect(calls).toEqual(['ReserveHotel', 'BookFlight', 'ChargePayment']);
  expect(result).toEqual({
    status: 'SUCCEEDED',
    output: {
      input: trip,
      results: {
        ReserveHotel: { reservationId: 'hotel-h-7-t-42' },
        BookFlight: { bookingReference: 'AF1234-t-42' },
        ChargePayment: { paymentId: 'pay-t-42' },
      },
    },
  });
});

test('an unknown flight cancels the hotel and fails with UnknownFlight', async () => {
  const result = await runLocally(synthesizedDefinition(saga), { ...trip, flightNumber: 'nope' }, { handlers });
  expect(calls).toEqual(['ReserveHotel', 'BookFlight', 'Compensate-ReserveHotel']);
  expect(result).toEqual({ status: 'FAILED', error: 'UnknownFlight', cause: 'no flight nope' });
});

test('a declined payment cancels the flight, then the hotel, and fails with PaymentDeclined', async () => {
  const result = await runLocally(synthesizedDefinition(saga), { ...trip, amountCents: 0 }, { handlers });
  expect(calls).toEqual(['ReserveHotel', 'BookFlight', 'ChargePayment', 'Compensate-BookFlight', 'Compensate-ReserveHotel']);
  expect(result).toEqual({ status: 'FAILED', error: 'PaymentDeclined', cause: 'invalid amount 0' });
});
