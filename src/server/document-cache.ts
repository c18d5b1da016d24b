// Owns reusing parsed, validated GraphQL documents on the WebSocket side (Apollo keeps its own for HTTP).
// Thousands of clients subscribe to a feed with the same text: parsed for each, the document (AST, tokens,
// locations) was about 7 KB of heap per subscription, held for as long as it lives, and the parse and the
// validation ran again on every subscribe. Documents are immutable, so one copy serves every subscription.
//
// Anyone may send texts, so what is kept is bounded by its memory, not only by a count: a parsed document
// costs about 500 bytes per token (measured: 1,509 tokens, 771 KB) besides its text, so a text of the most
// tokens a document may have takes megabytes. The least recently used go first; a document that alone would
// take more than an eighth of the budget is not kept (it is parsed for its subscription and freed with it).
import type { DocumentNode } from 'graphql';

/** Heap of a parsed document per token of its text (AST node, token, location), measured on graphql 16. */
const BYTES_PER_TOKEN = 512;

interface Entry {
  document: DocumentNode;
  bytes: number;
}

/** About what `document`, parsed from `text`, keeps alive: its tokens and its text (UTF-16). */
export function documentBytes(text: string, document: DocumentNode): number {
  let tokens = 0;
  for (let token = document.loc?.startToken ?? null; token; token = token.next) tokens += 1;
  return tokens * BYTES_PER_TOKEN + text.length * 2;
}

export class DocumentCache {
  private readonly documents = new Map<string, Entry>();
  private used = 0;

  /** At most `maxEntries` documents and about `maxBytes` of heap; the one used longest ago goes first. */
  constructor(
    private readonly maxEntries = 1000,
    private readonly maxBytes = 32 * 1024 * 1024,
  ) {}

  /** The valid document parsed from `text` earlier, if it is still kept. */
  get(text: string): DocumentNode | undefined {
    const entry = this.documents.get(text);
    if (entry) {
      // Most recently used last: Map keeps insertion order.
      this.documents.delete(text);
      this.documents.set(text, entry);
    }
    return entry?.document;
  }

  /** Keeps a document that parsed and validated without errors (a failing text is checked again each time). */
  set(text: string, document: DocumentNode): void {
    const bytes = documentBytes(text, document);
    if (bytes > this.maxBytes / 8) return;
    this.forget(text);
    this.documents.set(text, { document, bytes });
    this.used += bytes;
    while (this.documents.size > this.maxEntries || this.used > this.maxBytes) this.forget(this.documents.keys().next().value!);
  }

  get size(): number {
    return this.documents.size;
  }

  /** Estimated heap held by the kept documents. */
  get bytes(): number {
    return this.used;
  }

  private forget(text: string): void {
    const entry = this.documents.get(text);
    if (!entry) return;
    this.documents.delete(text);
    this.used -= entry.bytes;
  }
}
