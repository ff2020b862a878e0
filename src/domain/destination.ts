/**
 * What workflow inputs and summaries may say about an endpoint: its host only. A URL's path or
 * query often carries the receiver's token, and workflow histories are readable in the UI.
 */
export function destinationLabel(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'invalid-url';
  }
}
