import { Logger } from '@aws-lambda-powertools/logger';
import { TripError, type TripState } from './types';

const logger = new Logger();

/** Charges the traveller; the last step, so it has no compensation (nothing after it can fail). */
export const handler = async (state: TripState): Promise<{ paymentId: string }> => {
  if (!Number.isInteger(state.input.amountCents) || state.input.amountCents <= 0) {
    throw new TripError('PaymentDeclined', `invalid amount ${state.input.amountCents}`);
  }
  const paymentId = `pay-${state.input.tripId}`;
  logger.info('payment charged', { tripId: state.input.tripId, paymentId, amountCents: state.input.amountCents });
  return { paymentId };
};
