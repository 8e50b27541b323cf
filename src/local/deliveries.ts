/** The log of what the local cloud delivered: one entry (and one printed line) per delivery. */
export interface Delivery {
  /** When it settled (ms since the epoch). */
  readonly time: number;
  /** The service that delivered: `http`, `sqs`, `events`, `s3`, `dynamodb` (streams). */
  readonly service: string;
  /** What was delivered from and to, e.g. `Jobs queue -> Worker`. */
  readonly resource: string;
  /** `ok`, `failed` (the target ran and failed), `partial` (some records failed), `denied` or `dropped`. */
  readonly outcome: 'ok' | 'failed' | 'partial' | 'denied' | 'dropped';
  /** A short human detail: status code, record counts, the error. */
  readonly detail: string;
}

export type DeliverySink = (delivery: Omit<Delivery, 'time'>) => void;
