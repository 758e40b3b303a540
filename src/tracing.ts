/**
 * Starts OpenTelemetry tracing for the process: the Node SDK with an OTLP/HTTP exporter (or the
 * exporter a test hands in), the AsyncLocalStorage context manager and the W3C trace-context
 * propagator. main.ts imports this module only when OTEL_EXPORTER_OTLP_ENDPOINT is set, so a
 * gateway without tracing never loads the SDK; what the spans are is src/http/tracing.ts's business.
 */
import { type Tracer, trace } from '@opentelemetry/api'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { NodeSDK } from '@opentelemetry/sdk-node'
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base'
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions'

/** What startTracing needs. */
export interface TracingSetup {
  /** OTLP/HTTP collector base URL (OTEL_EXPORTER_OTLP_ENDPOINT); spans go to `<url>/v1/traces`. */
  endpoint?: string | undefined
  /** `service.name` (OTEL_SERVICE_NAME). */
  serviceName: string
  /** Exports here instead, each span as it ends (tests: an InMemorySpanExporter). */
  exporter?: SpanExporter | undefined
}

/** Tracing as started: the tracer the gateway's spans come from, and the flush-and-stop. */
export interface Tracing {
  readonly tracer: Tracer
  /** Exports what is still buffered and stops the SDK (the process is ending). */
  shutdown(): Promise<void>
}

/** The instrumentation scope of every span the gateway makes. */
export const TRACER_NAME = 'ftp-gateway'

/** The OTLP/HTTP traces URL for a collector base URL (the exporter's own rule for the env variable). */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`
}

/**
 * Starts the SDK and registers it globally (context manager, propagator, tracer provider). One per
 * process: the OpenTelemetry API keeps one global of each.
 */
export function startTracing(setup: TracingSetup): Tracing {
  let processor: SimpleSpanProcessor | BatchSpanProcessor
  if (setup.exporter) processor = new SimpleSpanProcessor(setup.exporter)
  else if (setup.endpoint)
    processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(setup.endpoint) }))
  else throw new Error('startTracing needs an endpoint or an exporter')
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: setup.serviceName }),
    spanProcessors: [processor],
    // The gateway's own spans only: no auto-instrumentation patching http, ioredis or net.
    instrumentations: [],
    // Host and process detectors read the machine once; the service name is what operators filter by.
    autoDetectResources: false,
  })
  sdk.start()
  return {
    tracer: trace.getTracer(TRACER_NAME),
    shutdown: () => sdk.shutdown(),
  }
}
