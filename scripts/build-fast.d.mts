/** Transpiles `root`/src to `root`/dist with swc when a source file is newer than dist/main.js. */
export function buildIfChanged(root?: string): Promise<void>;
