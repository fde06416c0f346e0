// The embedded PostgreSQL server: used by the supervisor and the test harness, never by a service
// (so the embedded binaries package stays out of the CDE's dependency inventory).
export { createEmbeddedCluster, type EmbeddedCluster, type EmbeddedClusterOptions } from './embedded-cluster.ts';
