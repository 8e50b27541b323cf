/** The state every step receives from the saga: the execution input and the results so far. */
export interface TripState {
  readonly input: { readonly tripId: string; readonly hotelId: string; readonly flightNumber: string; readonly amountCents: number };
  readonly results: {
    readonly ReserveHotel?: { readonly reservationId: string };
    readonly BookFlight?: { readonly bookingReference: string };
    readonly ChargePayment?: { readonly paymentId: string };
  };
  /** Set for compensations: the failure that triggered them. */
  readonly error?: { readonly Error: string; readonly Cause: string };
}

/** A business failure: thrown with a name, so the saga's error is that name (not retried). */
export class TripError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}
