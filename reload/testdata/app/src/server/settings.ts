export const settings = {
  port: Number(process.env.PORT ?? 3000),
  appName: "greeter",
};
