// Owns reusing parsed, validated GraphQL documents on the WebSocket side (Apollo keeps its own for HTTP).
// Thousands of clients subscribe to a feed with the same text: parsed for each, the document (AST, tokens,
// locations) was about 7 KB of heap per subscription, held for as long as it lives, and the parse and the
// validation ran again on every subscribe. Documents are immutable, so one copy serves every subscription.
import type { DocumentNode } from 'graphql';

export class DocumentCache {
  private readonly documents = new Map<string, DocumentNode>();

  /** At most `max` texts are kept; the one used longest ago goes first. */
  constructor(private readonly max = 1000) {}

  /** The valid document parsed from `text` earlier, if it is still kept. */
  get(text: string): DocumentNode | undefined {
    const document = this.documents.get(text);
    if (document) {
      // Most recently used last: Map keeps insertion order.
      this.documents.delete(text);
      this.documents.set(text, document);
    }
    return document;
  }

  /** Keeps a document that parsed and validated without errors (a failing text is checked again each time). */
  set(text: string, document: DocumentNode): void {
    this.documents.delete(text);
    this.documents.set(text, document);
    if (this.documents.size > this.max) this.documents.delete(this.documents.keys().next().value!);
  }

  get size(): number {
    return this.documents.size;
  }
}
