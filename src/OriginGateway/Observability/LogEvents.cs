namespace OriginGateway.Observability;

/// <summary>
/// Every event id the gateway logs with, in one table: ids are unique (a test checks it, and that every
/// <c>[LoggerMessage]</c> of the assembly takes its id from here), so an operator can filter or alert on
/// one id and find one kind of line. Grouped by range per area; a new event takes the next free id of its
/// area. Lines about an object key carry <c>KeyHash</c> (<see cref="Protocol.KeyHash"/>), never the key.
/// </summary>
internal static class LogEvents
{
    // 1000–1099: Hosting
    public const int UnsignedCallbacks = 1001;
    public const int Listening = 1002;
    public const int ConnectionCap = 1003;
    public const int StartupWaiting = 1004;
    public const int StartupStillWaiting = 1005;
    public const int StartupLoaded = 1006;
    public const int StartupFailed = 1007;

    // 1100–1199: Storage
    public const int ObjectFileVanished = 1101;
    public const int ObjectFileCorrupt = 1102;
    public const int S3AbortFailed = 1111;
    public const int S3AbortedLate = 1112;
    public const int S3AbortUnsupported = 1113;
    public const int S3ConditionsUnsupported = 1114;
    public const int S3AttributesLeft = 1115;

    // 1200–1299: Persistence and the front door
    public const int DatabaseMigrated = 1201;
    public const int AccessLog = 1210;
    public const int DataRequestFailed = 1211;
    public const int ControlRequestFailed = 1212;
    public const int AccessLogDropped = 1213;

    // 1300–1399: Object writes
    public const int IncompleteBody = 1301;
    public const int ObjectStoreFailed = 1302;

    // 1400–1499: Origin rules
    public const int OriginRulesLoadedFromFile = 1401;
    public const int OriginRulesReplaced = 1402;
    public const int OriginRulesDeleted = 1403;
    public const int OriginRulesReloaded = 1404;

    // 1500–1599: Multipart
    public const int MultipartInitiated = 1501;
    public const int MultipartCompleted = 1502;
    public const int MultipartAborted = 1503;
    public const int MultipartSwept = 1504;
    public const int MultipartSweepFailed = 1505;
    public const int AbandonedWritesSwept = 1506;
    public const int MultipartCompletionFailed = 1507;

    // 1600–1699: Dependencies
    public const int BackgroundLoopFailing = 1601;
    public const int BackgroundLoopRecovered = 1602;
    public const int DependencyStateChanged = 1603;

    // 1700–1799: Coordination (Redis)
    public const int RedisConnectionFailed = 1701;
    public const int RedisConnectionRestored = 1702;
    public const int RedisBreakerOpened = 1703;
    public const int RedisBreakerClosed = 1704;
    public const int FillClaimLost = 1705;
    public const int RedisRefused = 1706;

    // 2000–2099: Egress
    public const int EgressDenied = 2001;

    // 2100–2199: Origins
    public const int OriginFailure = 2101;
    public const int OriginBodyResumed = 2102;
    public const int OriginResumeRefused = 2103;
    public const int OriginHeadersTimedOut = 2104;
    public const int OriginConnectTimedOut = 2105;

    // 3000–3099: Origin pull: fills
    public const int FillFailed = 3001;
    public const int FillThrew = 3002;
    public const int ServedNotStored = 3003;

    // 3100–3199: Origin pull: Proxy
    public const int ProxyForwardError = 3101;
    public const int ProxyStoreTaskDenied = 3102;
    public const int ProxyStoreRefused = 3103;
    public const int ProxyStoreQueueFailed = 3104;
    public const int ProxyFailover = 3105;

    // 3200–3299: Origin pull: decisions
    public const int OriginPullDecision = 3201;
    public const int OriginPullDecisionsDropped = 3202;

    // 4000–4099: Tasks
    public const int TasksReclaimed = 4001;
    public const int TaskRetry = 4002;
    public const int TaskFailed = 4003;
    public const int TaskThrew = 4004;
    public const int CompletionLost = 4007;
    public const int ClockOffset = 4008;

    // 5000–5099: OMS sync
    public const int SyncPassFailed = 5001;
    public const int SyncReleaseFailed = 5002;
    public const int SyncPassNotRecorded = 5003;
}
