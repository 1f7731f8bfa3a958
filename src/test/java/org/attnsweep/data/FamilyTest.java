package org.attnsweep.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import org.attnsweep.Fixtures;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.RunSpec;
import org.junit.jupiter.api.Test;

/**
 * Family identity: engines group a batch's runs by their Family object (one set-up per family), so
 * runs of one family must meet the same object while anything holds it, however many other
 * families come between; runs of other families, or of the same family at another N or ‖μ‖, must
 * not be mixed up.
 */
class FamilyTest {
    /** More families than the recently-used cache keeps. */
    private static final int MANY = 200;

    private static RunConfig config(long seed, int N, double mu) {
        RunSpec s = Fixtures.shape(8, 2, 4, 4, N);
        s.seed = seed;
        s.mu = mu;
        return s.build(0);
    }

    @Test
    void aFamilyHeldStaysOneObjectPastManyOthers() {
        long base = System.nanoTime();
        List<Family> held = new ArrayList<>();
        for (int i = 0; i < MANY; i++) held.add(Family.of(config(base + i, 2, 1.0)));
        for (int i = 0; i < MANY; i++) {
            // The same family at another N and ‖μ‖ (what a batch's runs of one family differ in).
            assertSame(held.get(i), Family.of(config(base + i, 4 + i % 3, 2.0 + i)), "family " + i + " of " + MANY);
        }
        for (int i = 1; i < MANY; i++) assertNotSame(held.get(i - 1), held.get(i));
        // What the runs reserve on one object is seen by every later run of that family.
        held.get(0).reserve(7);
        assertEquals(7, Family.of(config(base, 3, 5.0)).reserved());
    }
}
