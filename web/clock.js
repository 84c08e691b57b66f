// The server's clock, as this tab estimates it. Edit windows, statuses, pauses and slow mode end at
// the server's times, so comparing them with this device's clock goes wrong by as much as the two
// differ (a phone minutes off shows an Edit the server refuses, or a status that lingers). Every
// answer's `Date` header tells the server's time to the second, no later than it is read: each one
// is a lower bound of how far the server is ahead, and the largest of the recent ones is the
// estimate (a few dozen answers bring it within a fraction of a second). Only recent ones count, so
// a correction of this device's clock is followed.
const KEPT = 32;
const samples = [];
let offset = 0;

/// Learns from an answer's `Date` header, read at this tab's `receivedAt` (ms).
export function noteServerDate(header, receivedAt = Date.now()) {
  const server = header ? Date.parse(header) : NaN;
  if (!Number.isFinite(server)) return;
  samples.push(server - receivedAt);
  if (samples.length > KEPT) samples.shift();
  offset = Math.max(...samples);
}

/// The server's time now (ms since the epoch), as `Date.now()` is this tab's.
export const serverNow = () => Date.now() + offset;
