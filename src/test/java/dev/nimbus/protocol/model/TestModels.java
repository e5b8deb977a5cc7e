package dev.nimbus.protocol.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.nimbus.protocol.Values;

/** Small inline models for tests of shapes no vendored model has (XML maps, for one). */
public final class TestModels {
    private TestModels() {}

    /** A model from botocore-style JSON; single quotes stand for double quotes, to keep test sources readable. */
    public static ServiceModel parse(String name, String json) {
        try {
            return new ServiceModel(name, Values.JSON.readTree(json.replace('\'', '"')));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
