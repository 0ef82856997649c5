using OriginGateway.Hosting;

return await GatewayCommandLine.RunAsync(args);
