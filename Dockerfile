# OriginGateway container: build and compile natively with the SDK, run on the runtime's dependencies image as a
# non-root user. The same publish step runs in the tests (no Docker engine on the build machines). Native AOT for the
# build stage's own platform (linux-x64 or linux-arm64) and the compiler's default instruction set: the gateway serves
# its first requests at full speed (no JIT warm-up) and peaks 80–90 MiB lower than the runtime build, with the same
# steady-state speed (bench/README.md, "The container's build"). The compiler links with clang and zlib.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends clang zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ src/
COPY config/ config/
RUN dotnet publish src/OriginGateway/OriginGateway.csproj -c Release --use-current-runtime -p:PublishAot=true -p:CopyOutputSymbolsToPublishDirectory=false -o /app

FROM mcr.microsoft.com/dotnet/runtime-deps:10.0 AS runtime
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
ENTRYPOINT ["./OriginGateway"]
