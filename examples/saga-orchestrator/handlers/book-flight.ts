import { Logger } from '@aws-lambda-powertools/logger';
import { TripError, type TripState } from './types';

const logger = new Logger();

/** Books the seat; a flight number the airline does not know is a business failure. */
export const handler = async (state: TripState): Promise<{ bookingReference: string }> => {
  if (!/^[A-Z0-9]{2}\d{1,4}$/.test(state.input.flightNumber)) {
    throw new TripError('UnknownFlight', `no flight ${state.input.flightNumber}`);
  }
  const bookingReference = `${state.input.flightNumber}-${state.input.tripId}`.slice(0, 32);
  logger.info('seat booked', { tripId: state.input.tripId, bookingReference });
  return { bookingReference };
};
