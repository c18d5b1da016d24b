// Every entity the ORM knows, listed explicitly so that the built app and the tests discover the same set.
import { ManufacturerProfile, User } from '../modules/accounts/user.entity.js';
import { Design } from '../modules/designs/design.entity.js';
import { QuoteRecipient, QuoteRequest, QuoteRequestItem } from '../modules/quoting/quote-request.entity.js';
import { Estimate, Match } from '../modules/quoting/estimate.entity.js';
import { OutboxEvent } from '../events/outbox.entity.js';

export const entities = [User, ManufacturerProfile, Design, QuoteRequest, QuoteRequestItem, QuoteRecipient, Estimate, Match, OutboxEvent];
