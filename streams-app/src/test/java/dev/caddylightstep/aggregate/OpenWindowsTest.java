package dev.caddylightstep.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OpenWindowsTest {
    private static final long MINUTE = 60_000;

    @Test
    void aWindowKeepsWhatWasPutInItWhicheverWindowWasLookedUpBetween() {
        OpenWindows<List<String>> windows = new OpenWindows<>(ArrayList::new);
        windows.of(0).add("first");
        windows.of(MINUTE).add("second");
        windows.of(0).add("late");

        assertThat(windows.of(0)).containsExactly("first", "late");
        assertThat(windows.of(MINUTE)).containsExactly("second");
    }

    @Test
    void aForgottenWindowStartsEmptyAgainAndTheOthersStay() {
        OpenWindows<List<String>> windows = new OpenWindows<>(ArrayList::new);
        windows.of(0).add("a");
        windows.of(MINUTE).add("b");
        windows.of(2 * MINUTE).add("c");
        windows.of(MINUTE);

        windows.forgetThrough(MINUTE);

        assertThat(windows.of(MINUTE)).as("the window last looked up, forgotten").isEmpty();
        assertThat(windows.of(0)).isEmpty();
        assertThat(windows.of(2 * MINUTE)).containsExactly("c");
    }

    @Test
    void forgettingWindowsBeforeAllOfThemKeepsEveryOne() {
        OpenWindows<List<String>> windows = new OpenWindows<>(ArrayList::new);
        windows.of(MINUTE).add("b");

        windows.forgetThrough(MINUTE - 1);

        assertThat(windows.of(MINUTE)).containsExactly("b");
    }
}
