import { AppServer } from "./donkeylabs";
import { settings } from "./settings";
import { greeterPlugin } from "./plugins/greeter";
import { counterPlugin } from "./plugins/counter/index";
import { notesPlugin } from "./plugins/notes/index";
import { apiRouter } from "./routes/api";

const server = new AppServer({ port: settings.port });

server.registerPlugin(greeterPlugin);
server.registerPlugin(counterPlugin);
server.registerPlugin(notesPlugin);
server.use(apiRouter);

await server.start();
