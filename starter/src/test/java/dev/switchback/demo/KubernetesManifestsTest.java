package dev.switchback.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The manifests in deploy/k8s hold together (no cluster runs here, so this reads them): every
 * resource the kustomization names exists, and the NetworkPolicy admits exactly the worker's
 * metrics port, selects the worker's pods, and lets the worker reach Temporal's port.
 */
class KubernetesManifestsTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private final Path k8s = CutoverEndToEndTest.repository().resolve("deploy/k8s");

  private JsonNode read(String file) throws Exception {
    return YAML.readTree(Files.readString(k8s.resolve(file)));
  }

  @Test
  void everyResourceOfTheKustomizationExists() throws Exception {
    JsonNode resources = read("kustomization.yaml").path("resources");
    assertTrue(resources.size() > 0);
    for (JsonNode r : resources) {
      assertTrue(Files.isRegularFile(k8s.resolve(r.asText())), r.asText() + " is missing");
    }
  }

  @Test
  void theNetworkPolicyAdmitsOnlyMetricsAndReachesTemporal() throws Exception {
    List<String> resources = new ArrayList<>();
    read("kustomization.yaml").path("resources").forEach(r -> resources.add(r.asText()));
    assertTrue(resources.contains("networkpolicy.yaml"), "applied with the rest: " + resources);

    JsonNode policy = read("networkpolicy.yaml");
    assertEquals("NetworkPolicy", policy.path("kind").asText());
    JsonNode deployment = read("deployment.yaml");
    JsonNode podLabels = deployment.at("/spec/template/metadata/labels");
    assertTrue(policy.at("/spec/podSelector/matchLabels").size() > 0, "selects by label");
    for (var e : policy.at("/spec/podSelector/matchLabels").properties()) {
      assertEquals(
          e.getValue().asText(),
          podLabels.path(e.getKey()).asText(),
          "the policy selects the worker's pods by " + e.getKey());
    }
    List<String> types = new ArrayList<>();
    policy.at("/spec/policyTypes").forEach(t -> types.add(t.asText()));
    assertEquals(List.of("Ingress", "Egress"), types);

    int metricsPort = -1;
    for (JsonNode p : deployment.at("/spec/template/spec/containers/0/ports")) {
      if ("metrics".equals(p.path("name").asText())) {
        metricsPort = p.path("containerPort").asInt();
      }
    }
    JsonNode ingress = policy.at("/spec/ingress");
    assertEquals(1, ingress.size(), "one ingress rule: Prometheus");
    assertEquals(1, ingress.at("/0/ports").size());
    assertEquals(metricsPort, ingress.at("/0/ports/0/port").asInt());

    List<Integer> egressPorts = new ArrayList<>();
    for (JsonNode rule : policy.at("/spec/egress")) {
      rule.path("ports").forEach(p -> egressPorts.add(p.path("port").asInt()));
      for (JsonNode to : rule.path("to")) {
        if (to.has("ipBlock")) {
          List<String> except = new ArrayList<>();
          to.at("/ipBlock/except").forEach(x -> except.add(x.asText()));
          assertTrue(
              except.contains("169.254.169.254/32"),
              "no egress rule reaches the cloud metadata service: " + to);
        }
      }
    }
    assertTrue(egressPorts.contains(7233), "Temporal's frontend: " + egressPorts);
    assertTrue(egressPorts.contains(53), "DNS: " + egressPorts);
    assertFalse(egressPorts.contains(0), "every egress rule names its ports: " + egressPorts);
  }
}
