import { AppServer } from "@donkeylabs/server";
import { db } from "./db";

import { usersPlugin } from "./plugins/users";
import { booksPlugin } from "./plugins/books";
import { ordersPlugin } from "./plugins/orders";
import { auditPlugin } from "./plugins/audit";

import { pricingService } from "./services/pricing";

import { booksRouter } from "./routes/books";
import { ordersRouter } from "./routes/orders";
import { usersRouter } from "./routes/users";
import { adminRouter } from "./routes/admin";

const server = new AppServer({
  port: Number(process.env.PORT ?? 3000),
  db,
  logger: {
    level: process.env.NODE_ENV === "production" ? "info" : "debug",
    format: process.env.NODE_ENV === "production" ? "json" : "pretty",
  },
});

server.registerPlugin(usersPlugin);
server.registerPlugin(booksPlugin);
server.registerPlugin(ordersPlugin);
server.registerPlugin(auditPlugin({ retentionDays: 90, ignoreActions: ["admin.ping"] }));

server.registerService(pricingService);

server.use(booksRouter);
server.use(ordersRouter);
server.use(usersRouter);
server.use(adminRouter);

server.onReady((ctx) => {
  ctx.core.logger.info("bookshop ready", { plugins: Object.keys(ctx.plugins) });
});

await server.start();
