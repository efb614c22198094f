package dev.caddylightstep.loadtest;

import java.util.SplittableRandom;

/**
 * The random draws of the generator, on one {@link SplittableRandom}. StrictMath, not Math: its results are
 * specified to the bit, so a seed gives the same bytes on every JVM and CPU.
 */
final class Sampling {
    private final SplittableRandom random;
    private double spareGaussian;
    private boolean hasSpareGaussian;

    Sampling(long seed) {
        random = new SplittableRandom(seed);
    }

    SplittableRandom random() {
        return random;
    }

    boolean chance(double probability) {
        return random.nextDouble() < probability;
    }

    int below(int bound) {
        return random.nextInt(bound);
    }

    long nextLong() {
        return random.nextLong();
    }

    /** Box-Muller, keeping the second value of each pair for the next call. */
    double gaussian() {
        if (hasSpareGaussian) {
            hasSpareGaussian = false;
            return spareGaussian;
        }
        double u = 1.0 - random.nextDouble();
        double v = random.nextDouble();
        double radius = StrictMath.sqrt(-2.0 * StrictMath.log(u));
        double angle = 2.0 * Math.PI * v;
        spareGaussian = radius * StrictMath.sin(angle);
        hasSpareGaussian = true;
        return radius * StrictMath.cos(angle);
    }

    /** Log-normal around {@code median}: {@code median * e^(sigma * N(0,1))}. */
    double logNormal(double median, double sigma) {
        return median * StrictMath.exp(sigma * gaussian());
    }

    /** Exponential with the given mean: the gap between Poisson arrivals. */
    double exponential(double mean) {
        return -mean * StrictMath.log(1.0 - random.nextDouble());
    }

    /** Pareto with minimum 1 and the given shape: a heavy tail, rarely far above 1. */
    double pareto(double shape) {
        return StrictMath.pow(1.0 - random.nextDouble(), -1.0 / shape);
    }

    /** An index into {@code cumulative}, a running sum of weights, drawn in proportion to the weights. */
    int weighted(double[] cumulative) {
        double x = random.nextDouble() * cumulative[cumulative.length - 1];
        for (int i = 0; i < cumulative.length - 1; i++) {
            if (x < cumulative[i]) {
                return i;
            }
        }
        return cumulative.length - 1;
    }

    static double[] cumulative(double... weights) {
        double[] sums = new double[weights.length];
        double sum = 0;
        for (int i = 0; i < weights.length; i++) {
            sum += weights[i];
            sums[i] = sum;
        }
        return sums;
    }
}
