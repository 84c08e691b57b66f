// Small line icons drawn here (no icon font, no third-party set), as SVG elements.

const SHAPES = {
  hash: ["M5 9h15M4 15h15M10 3 8 21M16 3l-2 18"],
  lock: [{ rect: [5, 11, 14, 10, 2] }, "M8 11V7a4 4 0 0 1 8 0v4"],
  at: [{ circle: [12, 12, 4] }, "M16 8v5a3 3 0 0 0 6 0v-1a10 10 0 1 0-4 8"],
  plus: ["M12 5v14M5 12h14"],
  search: [{ circle: [11, 11, 7] }, "m20 20-3.5-3.5"],
  eye: ["M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12z", { circle: [12, 12, 3] }],
  sun: [{ circle: [12, 12, 4] }, "M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4"],
  moon: ["M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z"],
  monitor: [{ rect: [2, 4, 20, 13, 2] }, "M8 21h8M12 17v4"],
  logout: ["M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4M16 17l5-5-5-5M21 12H9"],
  reply: ["M9 17l-5-5 5-5M4 12h11a5 5 0 0 1 5 5v2"],
  poll: ["M18 20V10M12 20V4M6 20v-6"],
  forward: ["M15 17l5-5-5-5M20 12H9a5 5 0 0 0-5 5v2"],
  edit: ["M12 20h9M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z"],
  trash: ["M3 6h18M8 6V4h8v2M19 6l-1 14H6L5 6M10 11v6M14 11v6"],
  pin: ["M12 17v5M8 3h8l-1 7 3 3v2H6v-2l3-3z"],
  users: [{ circle: [9, 7, 4] }, "M2 21v-2a4 4 0 0 1 4-4h6a4 4 0 0 1 4 4v2M16 3.1a4 4 0 0 1 0 7.8M22 21v-2a4 4 0 0 0-3-3.9"],
  menu: ["M3 6h18M3 12h18M3 18h18"],
  x: ["M18 6 6 18M6 6l12 12"],
  send: ["M22 2 11 13M22 2l-7 20-4-9-9-4z"],
  down: ["M12 5v14M19 12l-7 7-7-7"],
  settings: ["M4 21v-7M4 10V3M12 21v-9M12 8V3M20 21v-5M20 12V3M1 14h6M9 8h6M17 16h6"],
  door: ["M14 3h5a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2h-5M10 17l-5-5 5-5M5 12h11"],
  chat: ["M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"],
  clock: [{ circle: [12, 12, 9] }, "M12 7v5l3 2"],
  alert: [{ circle: [12, 12, 9] }, "M12 8v4M12 16h.01"],
  compass: [{ circle: [12, 12, 9] }, "m16 8-2 6-6 2 2-6z"],
  bell: ["M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9M13.7 21a2 2 0 0 1-3.4 0"],
  bellOff: ["M13.7 21a2 2 0 0 1-3.4 0M18.6 13A17.9 17.9 0 0 1 18 8M6.3 6.3A6 6 0 0 0 6 8c0 7-3 9-3 9h14M18 8a6 6 0 0 0-9.3-5M2 2l20 20"],
  star: ["M12 2.5l2.9 6 6.6.9-4.8 4.6 1.2 6.5L12 17.4l-5.9 3.1 1.2-6.5-4.8-4.6 6.6-.9z"],
  bellAt: ["M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9M13.7 21a2 2 0 0 1-3.4 0", { circle: [12, 10, 2] }],
  user: [{ circle: [12, 8, 4] }, "M4 21v-1a6 6 0 0 1 6-6h4a6 6 0 0 1 6 6v1"],
  paperclip: ["M21.4 11.1l-9.2 9.2a6 6 0 0 1-8.5-8.5l9.2-9.2a4 4 0 0 1 5.7 5.7l-9.2 9.2a2 2 0 0 1-2.8-2.8l8.5-8.5"],
  play: ["M7 4v16l13-8z"],
  folder: ["M3 6.5A1.5 1.5 0 0 1 4.5 5H9l2 2.5h8.5A1.5 1.5 0 0 1 21 9v9.5a1.5 1.5 0 0 1-1.5 1.5h-15A1.5 1.5 0 0 1 3 18.5z"],
  file: ["M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8z", "M14 2v6h6"],
  link: ["M10 13a5 5 0 0 0 7.5.5l3-3a5 5 0 0 0-7-7l-1.7 1.7", "M14 11a5 5 0 0 0-7.5-.5l-3 3a5 5 0 0 0 7 7l1.7-1.7"],
  mail: [{ rect: [3, 5, 18, 14, 2] }, "m3 7 9 6 9-6"],
  bookmark: ["M19 21l-7-5-7 5V5a2 2 0 0 1 2-2h10a2 2 0 0 1 2 2z"],
  smile: [{ circle: [12, 12, 9] }, "M8 14s1.5 2 4 2 4-2 4-2M9 9h.01M15 9h.01"],
  userPlus: [{ circle: [9, 7, 4] }, "M2 21v-2a4 4 0 0 1 4-4h6a4 4 0 0 1 4 4v2M19 8v6M22 11h-6"],
  flag: ["M4 15s1-1 4-1 5 2 8 2 4-1 4-1V3s-1 1-4 1-5-2-8-2-4 1-4 1zM4 22v-7"],
  archive: [{ rect: [2, 3, 20, 5, 1] }, "M4 8v11a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8M10 12h4"],
};

const NS = "http://www.w3.org/2000/svg";

/// An icon; decorative (hidden from screen readers) unless given a label.
export function icon(name, { label, className = "" } = {}) {
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", `icon ${className}`.trim());
  if (label) {
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
  } else {
    svg.setAttribute("aria-hidden", "true");
  }
  svg.setAttribute("focusable", "false");
  for (const shape of SHAPES[name] ?? []) {
    let node;
    if (typeof shape === "string") {
      node = document.createElementNS(NS, "path");
      node.setAttribute("d", shape);
    } else if (shape.circle) {
      node = document.createElementNS(NS, "circle");
      const [cx, cy, r] = shape.circle;
      Object.entries({ cx, cy, r }).forEach(([k, v]) => node.setAttribute(k, v));
    } else {
      node = document.createElementNS(NS, "rect");
      const [x, y, width, height, rx] = shape.rect;
      Object.entries({ x, y, width, height, rx }).forEach(([k, v]) => node.setAttribute(k, v));
    }
    svg.append(node);
  }
  return svg;
}

/// The icon for a room's kind.
export const roomIcon = (room) =>
  icon(room.kind === "dm" ? ((room.dm_members?.length ?? 0) > 1 ? "users" : "at") : room.kind === "group" ? "lock" : "hash", { className: "room-kind" });
