# OriginGateway container: build and publish with the SDK, run on the ASP.NET runtime as a non-root user.
# The same publish step runs in the tests (no Docker engine on the build machines). ReadyToRun for the
# build stage's own runtime (linux-x64 or linux-arm64): the first requests after a start run precompiled
# code instead of waiting for the JIT (bench/README.md).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ src/
COPY config/ config/
RUN dotnet publish src/OriginGateway/OriginGateway.csproj -c Release --use-current-runtime --self-contained false -p:PublishReadyToRun=true -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
RUN mkdir -p /data && chown app:app /data
USER app
ENV DOTNET_ENVIRONMENT=Production \
    Endpoints__Data=http://0.0.0.0:8080 \
    Endpoints__Control=http://0.0.0.0:8081 \
    DataDirectory=/data
EXPOSE 8080 8081
VOLUME ["/data"]
ENTRYPOINT ["dotnet", "OriginGateway.dll"]
