// The legal transitions of quote requests, estimates and recipients, in one table each.
// Services ask `canMove` before changing a status; an illegal move is a user error, never a crash.
import { registerEnumType } from 'type-graphql';

export enum QuoteRequestStatus {
  OPEN = 'OPEN',
  MATCHED = 'MATCHED',
  CANCELLED = 'CANCELLED',
  EXPIRED = 'EXPIRED',
}

export enum EstimateStatus {
  ACTIVE = 'ACTIVE',
  SUPERSEDED = 'SUPERSEDED',
  ACCEPTED = 'ACCEPTED',
  REJECTED = 'REJECTED',
  WITHDRAWN = 'WITHDRAWN',
  EXPIRED = 'EXPIRED',
}

export enum RecipientStatus {
  PENDING = 'PENDING',
  QUOTED = 'QUOTED',
  DECLINED = 'DECLINED',
}

registerEnumType(QuoteRequestStatus, { name: 'QuoteRequestStatus' });
registerEnumType(EstimateStatus, { name: 'EstimateStatus' });
registerEnumType(RecipientStatus, { name: 'RecipientStatus' });

export const QUOTE_REQUEST_TRANSITIONS: Record<QuoteRequestStatus, readonly QuoteRequestStatus[]> = {
  [QuoteRequestStatus.OPEN]: [QuoteRequestStatus.MATCHED, QuoteRequestStatus.CANCELLED, QuoteRequestStatus.EXPIRED],
  [QuoteRequestStatus.MATCHED]: [],
  [QuoteRequestStatus.CANCELLED]: [],
  [QuoteRequestStatus.EXPIRED]: [],
};

export const ESTIMATE_TRANSITIONS: Record<EstimateStatus, readonly EstimateStatus[]> = {
  [EstimateStatus.ACTIVE]: [
    EstimateStatus.SUPERSEDED,
    EstimateStatus.ACCEPTED,
    EstimateStatus.REJECTED,
    EstimateStatus.WITHDRAWN,
    EstimateStatus.EXPIRED,
  ],
  [EstimateStatus.SUPERSEDED]: [],
  [EstimateStatus.ACCEPTED]: [],
  [EstimateStatus.REJECTED]: [],
  [EstimateStatus.WITHDRAWN]: [],
  [EstimateStatus.EXPIRED]: [],
};

/** QUOTED -> DECLINED: a manufacturer that quoted can still bow out (its active estimate is withdrawn). */
export const RECIPIENT_TRANSITIONS: Record<RecipientStatus, readonly RecipientStatus[]> = {
  [RecipientStatus.PENDING]: [RecipientStatus.QUOTED, RecipientStatus.DECLINED],
  [RecipientStatus.QUOTED]: [RecipientStatus.QUOTED, RecipientStatus.DECLINED],
  [RecipientStatus.DECLINED]: [],
};

export function canMove<S extends string>(table: Record<S, readonly S[]>, from: S, to: S): boolean {
  return table[from].includes(to);
}
