module.exports = { toJson: require('../spark.js').toJson };
