import { Logger } from '@aws-lambda-powertools/logger';
import type { TripState } from './types';

const logger = new Logger();

/** Cancels the reservation made by ReserveHotel. Idempotent: cancelling twice is harmless. */
export const handler = async (state: TripState): Promise<void> => {
  const reservationId = state.results.ReserveHotel?.reservationId;
  logger.info('cancelling room', { tripId: state.input.tripId, reservationId, because: state.error?.Error });
};
