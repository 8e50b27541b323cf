import { Logger } from '@aws-lambda-powertools/logger';
import type { TripState } from './types';

const logger = new Logger();

/** Reserves the room; the reservation id is what CancelHotel needs. Idempotent on the trip id. */
export const handler = async (state: TripState): Promise<{ reservationId: string }> => {
  const reservationId = `hotel-${state.input.hotelId}-${state.input.tripId}`;
  logger.info('room reserved', { tripId: state.input.tripId, reservationId });
  return { reservationId };
};
