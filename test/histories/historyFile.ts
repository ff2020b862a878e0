import { temporal } from '@temporalio/proto';

/**
 * How captured histories are stored. The SDK's historyToJSON/historyFromJSON (proto3 JSON, the
 * `temporal workflow show --output json` shape) fail in this install with "type must be a Type"
 * (two copies of protobufjs under @temporalio/common and @temporalio/proto), so we use
 * protobufjs's own object form: enums and 64-bit ints as strings, bytes as base64. Decoding gives
 * a real History (eventId is a Long), which Worker.runReplayHistories accepts as is.
 */
const History = temporal.api.history.v1.History;
export type HistoryMessage = temporal.api.history.v1.History;

export function encodeHistory(history: unknown): string {
  const obj = History.toObject(History.fromObject(history as Record<string, unknown>), { longs: String, enums: String, bytes: String });
  return JSON.stringify(obj, null, 1) + '\n';
}

export function decodeHistory(json: string): HistoryMessage {
  return History.fromObject(JSON.parse(json) as Record<string, unknown>);
}
