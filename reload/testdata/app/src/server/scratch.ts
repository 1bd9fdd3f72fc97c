// Not imported by the server: notes and experiments.
export const ideas = ["rate limiting", "audit log"];
