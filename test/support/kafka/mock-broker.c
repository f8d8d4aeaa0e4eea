/*
 * mock-broker: a librdkafka mock Kafka cluster driven over stdin/stdout.
 *
 *   mock-broker --brokers N [TOPIC:PARTITIONS ...]
 *
 * Prints "BOOTSTRAP=host:port,..." once the cluster is up, then reads one
 * command per line on stdin and answers "OK" or "ERR <message>" per line:
 *   down <id> | up <id> | rtt <id> <ms> | err <apiKey> <count> <errorCode>
 *   leader <topic> <partition> <id> | topic <name> <partitions> | quit
 * Exits 0 on "quit" or stdin EOF. Built by test/support/kafka/mock-broker.ts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static void no_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
  (void)rk; (void)level; (void)fac; (void)buf;
}

static void reply(rd_kafka_resp_err_t err) {
  if (err) printf("ERR %s\n", rd_kafka_err2str(err));
  else printf("OK\n");
  fflush(stdout);
}

static rd_kafka_resp_err_t create_topic(rd_kafka_mock_cluster_t *mc, const char *spec, int rf) {
  char name[512];
  int parts = 0;
  const char *colon = strrchr(spec, ':');
  if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(name)) return RD_KAFKA_RESP_ERR__INVALID_ARG;
  memcpy(name, spec, (size_t)(colon - spec));
  name[colon - spec] = '\0';
  parts = atoi(colon + 1);
  if (parts <= 0) return RD_KAFKA_RESP_ERR__INVALID_ARG;
  return rd_kafka_mock_topic_create(mc, name, parts, rf);
}

int main(int argc, char **argv) {
  int brokers = 3, rf, i;
  char errstr[512], line[1024];
  for (i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--brokers") && i + 1 < argc) brokers = atoi(argv[++i]);
  }
  if (brokers <= 0) { fprintf(stderr, "mock-broker: --brokers must be > 0\n"); return 2; }

  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set_log_cb(conf, no_log);
  if (rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "mock-broker: %s\n", errstr); return 1;
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) { fprintf(stderr, "mock-broker: rd_kafka_new: %s\n", errstr); return 1; }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) { fprintf(stderr, "mock-broker: rd_kafka_mock_cluster_new failed\n"); return 1; }

  rf = brokers < 3 ? brokers : 3; /* replication factor of created topics */
  for (i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--brokers")) { i++; continue; }
    rd_kafka_resp_err_t err = create_topic(mc, argv[i], rf);
    if (err) { fprintf(stderr, "mock-broker: topic %s: %s\n", argv[i], rd_kafka_err2str(err)); return 1; }
  }
  printf("BOOTSTRAP=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);

  while (fgets(line, sizeof(line), stdin)) {
    char cmd[32] = "", name[512] = "";
    int a = 0, b = 0, c = 0;
    line[strcspn(line, "\r\n")] = '\0';
    if (sscanf(line, "%31s", cmd) != 1) { printf("ERR empty command\n"); fflush(stdout); continue; }
    if (!strcmp(cmd, "quit")) break;
    else if (!strcmp(cmd, "down") && sscanf(line, "%*s %d", &a) == 1) reply(rd_kafka_mock_broker_set_down(mc, a));
    else if (!strcmp(cmd, "up") && sscanf(line, "%*s %d", &a) == 1) reply(rd_kafka_mock_broker_set_up(mc, a));
    else if (!strcmp(cmd, "rtt") && sscanf(line, "%*s %d %d", &a, &b) == 2) reply(rd_kafka_mock_broker_set_rtt(mc, a, b));
    else if (!strcmp(cmd, "err") && sscanf(line, "%*s %d %d %d", &a, &b, &c) == 3 && b > 0) {
      rd_kafka_resp_err_t *errs = malloc(sizeof(*errs) * (size_t)b);
      for (i = 0; i < b; i++) errs[i] = (rd_kafka_resp_err_t)c;
      rd_kafka_mock_push_request_errors_array(mc, (int16_t)a, (size_t)b, errs);
      free(errs);
      reply(RD_KAFKA_RESP_ERR_NO_ERROR);
    } else if (!strcmp(cmd, "leader") && sscanf(line, "%*s %511s %d %d", name, &a, &b) == 3)
      reply(rd_kafka_mock_partition_set_leader(mc, name, a, b));
    else if (!strcmp(cmd, "topic") && sscanf(line, "%*s %511s %d", name, &a) == 2 && a > 0)
      reply(rd_kafka_mock_topic_create(mc, name, a, rf));
    else { printf("ERR bad command: %s\n", line); fflush(stdout); }
  }

  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
