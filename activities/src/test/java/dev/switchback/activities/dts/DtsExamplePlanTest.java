package dev.switchback.activities.dts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.PlanValidator;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The shipped DTS example plan stays a valid plan that the DTS provider can read. */
class DtsExamplePlanTest {

  @Test
  void exampleDtsPlanIsValidAndGivesTheProviderItsRegionAndReverseName() throws Exception {
    Path file = Path.of("..", "plans", "example-dts-mysql.yaml");
    CutoverPlan plan =
        PlanValidator.validate(
            new ObjectMapper(new YAMLFactory())
                .readValue(Files.readString(file), CutoverPlan.class));

    DtsOptions o = DtsOptions.of(plan);

    assertEquals("dts", plan.migration().provider());
    assertEquals("n99m9jx822k1234", o.jobId());
    assertEquals("cn-hangzhou", o.regionId());
    assertEquals("dts.cn-hangzhou.aliyuncs.com", o.endpoint());
    assertEquals("https", o.protocol());
    assertEquals("sb_rev_orders_dts", o.reverseName());
  }
}
